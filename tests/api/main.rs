//! Pyramid's integration tests: one binary, the real server on port 0, a fresh database per
//! test (SQLite by default; PostgreSQL when PYRAMID_TEST_DATABASE_URL is set).

mod audio;
mod authorisation;
mod bad_input;
mod bot;
mod changes;
mod cli;
mod consultations;
mod depth;
mod discord_selftest;
mod easy_read;
mod email;
mod fake_discord;
mod fake_smtp;
mod faults;
mod feedback;
mod graphiql;
mod helpers;
mod hierarchy;
mod items;
mod limits;
mod meetings;
mod migrations;
mod newsletters;
mod nominations;
mod observability;
mod pagination;
mod patterns;
mod reports;
mod schema;
mod sign_ins;
mod statements;
mod subscriptions;
mod translations;
mod trust;
