//! OSS chat family (seed 000).
