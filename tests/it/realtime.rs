//! Tests for the realtime area.
