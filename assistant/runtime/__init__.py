"""The Rasa server process: its launcher, the container entry point, and every fix or extension
installed inside Rasa 3.6 (each registered in `patches`)."""
