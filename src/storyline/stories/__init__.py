"""Stories (one real-world event) and threads (the storyline that chains stories): features, pair model, online index, consolidation."""
