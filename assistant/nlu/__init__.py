"""NLU components of the pipeline (config.yml): the TF-IDF intent classifier and the linear text
model it shares with triage."""
