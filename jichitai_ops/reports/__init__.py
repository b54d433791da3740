"""Reports of the routine checks (日次点検報告, ...), rendered for the city as Markdown, HTML and Excel."""
