"""One module per constraint family; each adds named rows to the model."""
