"""The channels the Rasa server listens on (credentials.yml and the environment) and the messaging
connectors that check the providers' signatures."""
