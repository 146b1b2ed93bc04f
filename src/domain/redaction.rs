//! Removing personal identifiers from free text before it is stored or logged.
//! (Being written: see the helper's task.)
