"""What the tests share: the world builder (world.py), form payloads (payloads.py), database
snapshots and the dump/restore of a shared world (snapshot.py), a database of one's own
(databases.py) and a free TCP port (ports.py). docs/testing.md says which fixture uses what."""
