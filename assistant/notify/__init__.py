"""Staff notifications: the clinic's webhook, each delivery's outcome stored; sent by both servers."""
