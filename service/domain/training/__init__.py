"""People trained (SPEC §11): rosters, nominations, results, certificates, qualified people."""
