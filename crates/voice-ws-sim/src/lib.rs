//! A local Discord voice gateway (v8) with fault injection.
