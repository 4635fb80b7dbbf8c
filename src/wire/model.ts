// OpenAI Models wire types. Source: OpenAI API reference, "Models" (openai/openai-openapi, Model, ListModelsResponse).

/** One entry of `GET /v1/models`. */
export interface ModelObject {
  id: string;
  object: 'model';
  /** Unix seconds. */
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}
