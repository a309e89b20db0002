// Package snapshot takes a consistent initial copy of published tables.
package snapshot
