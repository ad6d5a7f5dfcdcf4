"""The app's views, one module each: ``render(kb, ...)`` draws it."""
