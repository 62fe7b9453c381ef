"""The mailbox port and its adapters. Only adapters do mailbox I/O."""
