"""One module per wire format: request building, envelope checks, typed errors."""
