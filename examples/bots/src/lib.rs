//! Nothing here: the bots are the examples (examples/twilight.rs, examples/serenity.rs).
