"""Test harness: real servers, an event recorder, and a fake unit of work for unit tests."""
