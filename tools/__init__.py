"""Developer tooling: setup, training, the local launcher, evaluation, benchmark."""
