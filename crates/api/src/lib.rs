//! Keydesk's wire format, shared by the server that answers in it and the
//! desktop client that reads it.
