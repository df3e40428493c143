"""Article-pair similarity on the SemEval-2022 Task 8 dimensions: features and the shipped model."""
