"""leadq's terminal interface (Textual). It calls `models` services and never writes SQL."""
