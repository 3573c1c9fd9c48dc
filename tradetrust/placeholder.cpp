// Placeholder so the library has a source until the module's first file lands; delete then.
