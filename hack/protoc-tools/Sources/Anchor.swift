// Anchor: this package exists only to build the protoc plugins (see Package.swift).
