//! The HTTP side of `RemoteBackend`: the client, server addresses (https,
//! or http on this machine only), sending a request with the credential,
//! transport failures and the server's JSON errors turned into `AppError`
//! codes.

use super::*;

pub(super) fn client() -> AppResult<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("keydesk-desktop/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::internal(format!("cannot set up the HTTP client: {e}")))
}

/// Accepts `https://...`, and plain `http://` only for this machine (a
/// session token must not cross a network in clear text).
pub fn parse_server_url(text: &str) -> AppResult<Url> {
    let invalid = || {
        AppError::validation(
            "server_url",
            "enter the server's address, like https://keydesk.example.com",
        )
    };
    let mut url = Url::parse(text.trim()).map_err(|_| invalid())?;
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid());
    }
    if !url.username().is_empty() || url.password().is_some() {
        // It would be saved with the profile and sent as a password.
        return Err(AppError::validation(
            "server_url",
            "leave the user name and password out of the address; sign in below instead",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(AppError::validation(
                "server_url",
                "use https:// for a server on another machine (plain http only for localhost)",
            ))
        }
        _ => return Err(invalid()),
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub(super) fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `path` (starting with `/`) under the server's base address, which may
/// itself have a path (a server behind a reverse proxy prefix).
pub(super) fn endpoint(base: &Url, path: &str) -> Url {
    base.join(path.trim_start_matches('/'))
        .unwrap_or_else(|_| base.clone())
}

/// The server could not be reached (refused, timed out, TLS failure...).
/// The reqwest error names the URL only; it never carries our headers.
pub(super) fn transport_error(error: reqwest::Error) -> AppError {
    let why = if error.is_timeout() {
        "it did not answer in time"
    } else if error.is_connect() {
        "the connection failed"
    } else {
        "the request could not be sent"
    };
    AppError::unavailable(format!("server unreachable: {why}"))
}

/// Passes a 2xx answer through; anything else becomes an `AppError`.
pub(super) async fn checked(response: Response) -> AppResult<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.unwrap_or_default();
    Err(error_from(status, &bytes))
}

/// Maps a failed answer to an `AppError`: the server's own code when it sent
/// one we know, else the HTTP status.
pub fn error_from(status: StatusCode, body: &[u8]) -> AppError {
    let wire = serde_json::from_slice::<keydesk_api::ErrorBody>(body)
        .ok()
        .map(|e| e.error);
    let by_status = match status.as_u16() {
        400 | 422 => ErrorCode::Validation,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        429 | 502 | 503 | 504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    let by_body = wire
        .as_ref()
        .map(|w| w.code.as_str())
        .and_then(|c| match c {
            "validation" => Some(ErrorCode::Validation),
            "not_found" => Some(ErrorCode::NotFound),
            "conflict" => Some(ErrorCode::Conflict),
            "forbidden" => Some(ErrorCode::Forbidden),
            "unauthorized" => Some(ErrorCode::Unauthorized),
            "internal" => Some(ErrorCode::Internal),
            _ => None,
        });
    // A gateway in front of the server (503...) speaks for the server being away.
    let code = if by_status == ErrorCode::Unavailable {
        by_status
    } else {
        by_body.unwrap_or(by_status)
    };
    let message = match code {
        ErrorCode::Unauthorized => {
            "your session has ended or the credential is not valid: sign in again".to_owned()
        }
        ErrorCode::Unavailable => format!(
            "server unreachable: it answered {} — try again later",
            status
        ),
        _ => wire
            .as_ref()
            .map(|w| w.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("the server answered {status}")),
    };
    AppError {
        code,
        message,
        field: wire.and_then(|w| w.field),
    }
}

pub(super) async fn decode<T: DeserializeOwned>(response: Response) -> AppResult<T> {
    let bytes = response.bytes().await.map_err(transport_error)?;
    // serde's message may quote a value from the body (which can hold a
    // secret), so only the position is reported.
    serde_json::from_slice(&bytes).map_err(|e| {
        AppError::internal(format!(
            "unexpected answer from the server (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// Every item of an answer's list in keydesk-core's model.
pub(super) fn read_all<W, M>(items: Vec<W>) -> AppResult<Vec<M>>
where
    M: TryFrom<W, Error = keydesk_api::Unreadable>,
{
    items
        .into_iter()
        .map(|item| M::try_from(item).map_err(AppError::from))
        .collect()
}

/// A request body as JSON.
pub(super) fn body<T: Serialize>(value: &T) -> AppResult<Option<Value>> {
    serde_json::to_value(value)
        .map(Some)
        .map_err(|e| AppError::internal(format!("cannot encode the request: {e}")))
}

impl RemoteBackend {
    pub(super) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, endpoint(&self.base, path))
            .bearer_auth(self.token.expose())
    }

    /// Sends a request; a non-2xx answer becomes the matching `AppError`.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> AppResult<Response> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.execute(request).await
    }

    pub(super) async fn execute(&self, request: RequestBuilder) -> AppResult<Response> {
        let request = request
            .build()
            .map_err(|e| AppError::internal(format!("cannot build the request: {e}")))?;
        let writes = request.method() != Method::GET;
        if writes {
            self.set_instant_until(None);
        }
        let sent = self.http.execute(request).await.map_err(|e| {
            let never_arrived = e.is_connect();
            let mut error = transport_error(e);
            if writes && never_arrived {
                error
                    .message
                    .push_str("; nothing was changed, and nothing is kept to send later");
            } else if writes {
                // The request may have reached the server before the answer was lost.
                error
                    .message
                    .push_str("; the change may have been made: look before trying again");
            }
            error
        })?;
        let response = checked(sent).await?;
        self.set_offline(None);
        Ok(response)
    }

    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> AppResult<T> {
        decode(self.send(method, path, body).await?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_code_and_field() {
        let body =
            br#"{"error":{"code":"validation","message":"name is required","field":"name"}}"#;
        let err = error_from(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.field.as_deref(), Some("name"));
        assert_eq!(err.message, "name is required");

        let conflict = br#"{"error":{"code":"conflict","message":"taken","field":"name"}}"#;
        assert_eq!(
            error_from(StatusCode::CONFLICT, conflict).code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn bare_statuses_map_to_codes() {
        for (status, code) in [
            (401, ErrorCode::Unauthorized),
            (403, ErrorCode::Forbidden),
            (404, ErrorCode::NotFound),
            (409, ErrorCode::Conflict),
            (422, ErrorCode::Validation),
            (400, ErrorCode::Validation),
            (500, ErrorCode::Internal),
            (502, ErrorCode::Unavailable),
            (503, ErrorCode::Unavailable),
        ] {
            let err = error_from(StatusCode::from_u16(status).unwrap(), b"<html>oops</html>");
            assert_eq!(err.code, code, "status {status}");
        }
    }

    #[test]
    fn server_urls_need_https_except_on_this_machine() {
        assert!(parse_server_url("https://keydesk.example.com").is_ok());
        assert!(parse_server_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_server_url("http://localhost:8080/").is_ok());
        let err = parse_server_url("http://keydesk.example.com").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("server_url"));
        assert!(parse_server_url("keydesk.example.com").is_err());
        assert!(parse_server_url("ftp://example.com").is_err());
        // A path prefix is kept: endpoints go under it.
        let base = parse_server_url("https://example.com/keydesk").unwrap();
        assert_eq!(
            endpoint(&base, "/v1/me").as_str(),
            "https://example.com/keydesk/v1/me"
        );
    }
}
