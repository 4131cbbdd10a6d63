"""The ownership link (whole project, one process): the facts indexed by name, call resolution on
the project model, the model registry, and the walk from each authenticated route with the
judgement of every query site it reaches (values, verification, scoping)."""
