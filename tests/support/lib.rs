//! Shared test support: emulator endpoints and fixtures.
