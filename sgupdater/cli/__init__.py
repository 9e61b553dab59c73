"""The command line: typer commands (app, file_commands, migrate_command), the options every command
shares (options), the configuration file (config) and the flows commands share (flows).
The only place that prints, prompts or exits.
"""
