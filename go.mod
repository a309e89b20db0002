module github.com/pgwal/pgwal

go 1.21

require (
	github.com/google/go-cmp v0.7.0
	github.com/leanovate/gopter v0.2.11
)
