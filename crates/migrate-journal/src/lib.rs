//! Journal (in progress).
