package wire

// BatchingOn reports whether c's reads are batched right now (for the
// integration tests in package wire_test).
func BatchingOn(c *Conn) bool { return c.batch != nil && c.batch.on }

// BatchingArmed reports whether c's running stream may batch its reads
// (adaptive or always).
func BatchingArmed(c *Conn) bool { return c.batch != nil && c.batch.streaming }
