"""The API's views, by resource: adapters that parse, call one selector or service, and answer."""
