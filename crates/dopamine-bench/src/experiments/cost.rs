//! Cost experiment (stub replaced below).
