//! What an upstream response used, and what that costs: the `usage` object
//! of a JSON response or of a stream's chunks (usually the last one), and,
//! when a stream ends without one, what was delivered until then. Costs are
//! in micro-USD, rounded up, from the catalogue's prices per million tokens.

use serde_json::Value;

use super::config::Model;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: i64,
    pub output: i64,
}

impl Tokens {
    pub fn total(self) -> i64 {
        self.input + self.output
    }
}

/// The cost of `tokens` of `model`, rounded up to a micro-USD.
pub fn cost_micros(model: &Model, tokens: Tokens) -> i64 {
    let n = i128::from(tokens.input.max(0)) * i128::from(model.input_price_micros)
        + i128::from(tokens.output.max(0)) * i128::from(model.output_price_micros);
    let micros = (n + 999_999) / 1_000_000;
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// The token counts of a `usage` object (OpenAI/Mistral names).
pub fn tokens_of(usage: &Value) -> Option<Tokens> {
    let input = usage.get("prompt_tokens").and_then(Value::as_i64)?;
    let output = usage.get("completion_tokens").and_then(Value::as_i64).unwrap_or_else(|| {
        // Embeddings report only prompt and total.
        usage.get("total_tokens").and_then(Value::as_i64).map_or(0, |t| (t - input).max(0))
    });
    Some(Tokens { input: input.max(0), output: output.max(0) })
}

/// The usage of a whole JSON response body. Only `usage` is read; the rest
/// of the body is skipped without being built.
pub fn usage_of_body(body: &[u8]) -> Option<Tokens> {
    #[derive(serde::Deserialize)]
    struct WithUsage {
        usage: Option<Value>,
    }
    let v: WithUsage = serde_json::from_slice(body).ok()?;
    tokens_of(&v.usage?)
}

/// Bytes of generated text in a response or a stream chunk: the content of
/// every choice (`message` or `delta`), or the `text` of completions.
fn generated_bytes(v: &Value) -> i64 {
    let Some(Value::Array(choices)) = v.get("choices") else { return 0 };
    choices
        .iter()
        .map(|c| {
            let part = c.get("delta").or_else(|| c.get("message"));
            let content = part.and_then(|p| p.get("content")).or_else(|| c.get("text"));
            match content {
                Some(Value::String(s)) => s.len() as i64,
                Some(other) => other.to_string().len() as i64,
                None => 0,
            }
        })
        .sum()
}

/// Output tokens to charge for `bytes` of delivered text when the upstream
/// never said: a token is rarely shorter than a byte and often four; one
/// per three bytes errs towards the user, capped by what was reserved.
pub fn output_tokens_for(bytes: i64, chunks: i64, max_output: i64) -> i64 {
    ((bytes + 2) / 3).max(chunks).min(max_output.max(0))
}

/// Reads a server-sent-events stream as it passes: keeps the last `usage`
/// any chunk carried, and counts what was delivered, for a stream cut off
/// before its usage.
#[derive(Debug, Default)]
pub struct StreamUsage {
    /// The part of a line not yet ended.
    partial: Vec<u8>,
    pub reported: Option<Tokens>,
    /// Chunks that carried generated text.
    pub content_chunks: i64,
    pub content_bytes: i64,
}

/// Longest SSE line kept while waiting for its end; a longer one is dropped
/// from the accounting (it still reaches the client).
const MAX_LINE: usize = 1 << 20;

impl StreamUsage {
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = bytes.split_at(pos);
            if self.partial.is_empty() {
                self.line(line);
            } else {
                self.partial.extend_from_slice(line);
                let whole = std::mem::take(&mut self.partial);
                self.line(&whole);
            }
            bytes = &rest[1..];
        }
        if self.partial.len() + bytes.len() <= MAX_LINE {
            self.partial.extend_from_slice(bytes);
        } else {
            self.partial.clear();
        }
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(data) = line.strip_prefix(b"data:") else { return };
        let data = data.trim_ascii();
        if data.is_empty() || data == b"[DONE]" {
            return;
        }
        let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
        if let Some(t) = v.get("usage").and_then(tokens_of) {
            self.reported = Some(t);
        }
        let n = generated_bytes(&v);
        if n > 0 {
            self.content_chunks += 1;
            self.content_bytes += n;
        }
    }
}

/// Output tokens in a whole JSON response without `usage`.
pub fn generated_bytes_of_body(body: &[u8]) -> i64 {
    serde_json::from_slice::<Value>(body).map(|v| generated_bytes(&v)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::config::Config;

    #[test]
    fn cost_is_priced_per_million_tokens_and_rounded_up() {
        let cfg = Config::default();
        let large = cfg.model("mistral-large-latest").unwrap(); // 2 and 6 USD per million
        assert_eq!(cost_micros(large, Tokens { input: 1_000_000, output: 0 }), 2_000_000);
        assert_eq!(cost_micros(large, Tokens { input: 10, output: 5 }), 50);
        assert_eq!(cost_micros(large, Tokens { input: 1, output: 0 }), 2);
        let small = cfg.model("mistral-small-latest").unwrap(); // 0.1 per million input
        assert_eq!(cost_micros(small, Tokens { input: 1, output: 0 }), 1, "a fraction of a micro-USD is charged as one");
    }

    #[test]
    fn a_stream_split_anywhere_yields_its_final_usage() {
        let text = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                    data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\r\n\r\n\
                    data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}\n\n\
                    data: [DONE]\n\n";
        for split in 1..text.len() {
            let mut s = StreamUsage::default();
            let (a, b) = text.as_bytes().split_at(split);
            s.feed(a);
            s.feed(b);
            assert_eq!(s.reported, Some(Tokens { input: 7, output: 2 }), "split at {split}");
            assert_eq!((s.content_chunks, s.content_bytes), (2, 5));
        }
    }

    #[test]
    fn a_stream_cut_before_its_usage_is_charged_by_what_was_delivered() {
        let mut s = StreamUsage::default();
        s.feed(b"data: {\"choices\":[{\"delta\":{\"content\":\"abcdefghi\"}}]}\n\ndata: {\"choi");
        assert_eq!(s.reported, None);
        assert_eq!(output_tokens_for(s.content_bytes, s.content_chunks, 100), 3);
        assert_eq!(output_tokens_for(s.content_bytes, s.content_chunks, 2), 2, "never beyond what was reserved");
    }

    #[test]
    fn embeddings_usage_has_no_completion_tokens() {
        assert_eq!(usage_of_body(br#"{"usage":{"prompt_tokens":12,"total_tokens":12}}"#), Some(Tokens { input: 12, output: 0 }));
        assert_eq!(usage_of_body(br#"{"id":"x"}"#), None);
    }
}
