"""The plan editor: the form and the text tab editing one plan, and "Show as code"."""
