package connector

// The WithDefaults methods return a configuration with the defaults its
// constructor applies to zero fields, so that other packages can compare
// their own defaults with them (internal/app: the environment's default=
// tags must equal these).

// WithDefaults returns c as NewProcessor completes it.
func (c ProcessorConfig) WithDefaults() ProcessorConfig { c.defaults(); return c }

// WithDefaults returns c as NewReconciler completes it.
func (c ReconcilerConfig) WithDefaults() ReconcilerConfig { c.defaults(); return c }

// WithDefaults returns c as the processor's expiry completes it.
func (c ExpiryConfig) WithDefaults() ExpiryConfig { c.defaults(); return c }

// WithDefaults returns c as the processor completes it when coalescing is
// on.
func (c CoalesceConfig) WithDefaults() CoalesceConfig { c.defaults(); return c }

// WithDefaults returns c as NewArchiver completes it.
func (c ArchiverConfig) WithDefaults() ArchiverConfig { c.defaults(); return c }
