"""Provider clients: one per kind of account, all behind the protocol in ``base``."""
