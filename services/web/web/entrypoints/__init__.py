"""The pages: one module per kind of visitor (public, participant, jury, hall), all rendered by `render`."""
