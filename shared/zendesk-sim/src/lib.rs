//! A Zendesk simulator with Zendesk's real semantics, for tests, benchmarks and the demo.
