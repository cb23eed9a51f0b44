//! What the gateway reads from a request body before forwarding it: the
//! model, the output tokens the request may produce (`max_tokens`), an upper
//! bound of its input tokens, whether it streams, and the connectors it
//! names. Only JSON bodies are read; anything else is forwarded as it is and
//! costs nothing here.
//!
//! The input bound counts one token per byte of every string in the
//! request's prompt fields, plus a few per message for the framing. BPE
//! tokenizers never produce more tokens than bytes for text, so the bound
//! holds and the reservation made from it is never smaller than the real
//! cost.

use serde_json::{Map, Value};

/// Fields whose strings are prompt text, at the top level of a request.
const PROMPT_FIELDS: [&str; 6] = ["messages", "prompt", "suffix", "input", "inputs", "tools"];
/// Tokens a chat template may add around each message.
const PER_MESSAGE_OVERHEAD: i64 = 8;
/// Tokens a template may add to the whole request.
const PER_REQUEST_OVERHEAD: i64 = 16;

/// A body the gateway cannot read as the JSON object it claims to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspected {
    /// The parsed body, when it is JSON.
    pub json: Option<Map<String, Value>>,
    pub model: Option<String>,
    /// `max_tokens` (or `max_completion_tokens`) as the client set it.
    pub max_output_tokens: Option<i64>,
    /// Upper bound of the input tokens.
    pub input_tokens_bound: i64,
    pub stream: bool,
    /// Connector ids named by the request's tools.
    pub connectors: Vec<String>,
}

/// Whether a body sent with `content_type` is read as JSON: everything but
/// uploads (files, audio, images), whatever a client called it, since the
/// API's other requests are all JSON.
fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_none_or(|ct| {
        let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        !(ct.starts_with("multipart/")
            || ct.starts_with("audio/")
            || ct.starts_with("image/")
            || ct.starts_with("video/")
            || ct == "application/octet-stream")
    })
}

/// Reads `body`, sent with `content_type`. An empty body, or an upload, is
/// not inspected.
pub fn inspect(body: &[u8], content_type: Option<&str>) -> Result<Inspected, Malformed> {
    if body.iter().all(u8::is_ascii_whitespace) || !is_json(content_type) {
        return Ok(Inspected::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| Malformed(format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(map) = value else {
        return Err(Malformed("The request body must be a JSON object.".to_owned()));
    };
    let model = match map.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.clone()),
        Some(_) => return Err(Malformed("`model` must be a string.".to_owned())),
    };
    let mut max_output_tokens = None;
    for field in ["max_tokens", "max_completion_tokens"] {
        match map.get(field) {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_i64() {
                Some(n) if n >= 0 => max_output_tokens = Some(max_output_tokens.map_or(n, |m: i64| m.max(n))),
                _ => return Err(Malformed(format!("`{field}` must be a non-negative integer."))),
            },
        }
    }
    let stream = match map.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Malformed("`stream` must be true or false.".to_owned())),
    };
    let mut input = PER_REQUEST_OVERHEAD;
    for field in PROMPT_FIELDS {
        if let Some(v) = map.get(field) {
            input += text_bytes(v);
            if let Value::Array(items) = v {
                input += PER_MESSAGE_OVERHEAD * items.len() as i64;
            }
        }
    }
    let mut connectors = vec![];
    if let Some(Value::Array(tools)) = map.get("tools") {
        for tool in tools {
            if let Some(id) = tool.get("connector_id").and_then(Value::as_str) {
                connectors.push(id.to_owned());
            }
        }
    }
    Ok(Inspected { model, max_output_tokens, input_tokens_bound: input, stream, connectors, json: Some(map) })
}

/// Bytes of every string in `v` (keys of objects included: tool schemas
/// reach the model as text too).
fn text_bytes(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.len() as i64,
        Value::Array(items) => items.iter().map(text_bytes).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() as i64 + text_bytes(v)).sum(),
        Value::Number(n) => n.to_string().len() as i64,
        Value::Bool(_) | Value::Null => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_request_gives_its_model_limit_stream_and_an_input_bound_at_least_its_text() {
        let body = br#"{"model":"m","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hello there"}]}"#;
        let i = inspect(body, Some("application/json")).unwrap();
        assert_eq!(i.model.as_deref(), Some("m"));
        assert_eq!(i.max_output_tokens, Some(50));
        assert!(i.stream);
        assert!(i.input_tokens_bound >= "hello there".len() as i64 + "user".len() as i64);
    }

    #[test]
    fn malformed_bodies_are_refused_with_the_reason() {
        for (body, says) in [
            (&b"{\"model\": "[..], "not valid JSON"),
            (b"[1,2]", "JSON object"),
            (br#"{"model": 3}"#, "`model`"),
            (br#"{"max_tokens": -1}"#, "`max_tokens`"),
            (br#"{"max_tokens": "many"}"#, "`max_tokens`"),
            (br#"{"stream": "yes"}"#, "`stream`"),
        ] {
            let Malformed(msg) = inspect(body, Some("application/json")).unwrap_err();
            assert!(msg.contains(says), "{msg}");
        }
    }

    #[test]
    fn connectors_named_by_tools_are_found() {
        let body = br#"{"model":"m","tools":[{"type":"connector","connector_id":"c-1"},{"type":"function","function":{"name":"f"}}]}"#;
        assert_eq!(inspect(body, None).unwrap().connectors, vec!["c-1".to_owned()]);
    }

    #[test]
    fn a_body_sent_as_a_form_is_still_read_as_json() {
        assert!(inspect(b"{\"model\":", Some("application/x-www-form-urlencoded")).is_err());
    }

    #[test]
    fn uploads_are_not_read() {
        let i = inspect(b"--boundary\r\nbinary", Some("multipart/form-data; boundary=boundary")).unwrap();
        assert_eq!(i, Inspected::default());
        assert_eq!(inspect(b"", Some("application/json")).unwrap(), Inspected::default());
    }
}
