"""The SDK's side: sessions, clients, retries and endpoints, set up alike for every stage."""
