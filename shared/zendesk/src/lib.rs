//! The Zendesk API client (reqwest + rustls) behind zendesk-sync's Zendesk port.
