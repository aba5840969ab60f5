from microcred.cli import entry

entry()
