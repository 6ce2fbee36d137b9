//! Tests for the tenant area.
