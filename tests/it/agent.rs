//! Tests for the agent area.
