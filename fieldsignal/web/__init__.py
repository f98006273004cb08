"""The web app: server-rendered pages and a JSON API over the same Workspace the CLI uses."""
