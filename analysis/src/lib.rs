//! Library side of the tokenswarm command.
