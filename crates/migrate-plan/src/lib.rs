//! Plan building (in progress).
