"""Offline, stateful fakes of the live payment gateways, for rehearsing live mode and for the
end-to-end tests. Nothing on the product's request path imports this package."""
