// Which `api-version` values the Azure OpenAI emulator accepts on each of Azure's two URL forms.
// Deployments form (`/openai/deployments/{deployment}/...`): the dated data-plane inference versions published in
// Azure/azure-rest-api-specs, specification/cognitiveservices/data-plane/AzureOpenAI/inference/{stable,preview}.
// v1 form (`/openai/v1/...`): no dated versions; `api-version` may be absent, `v1` or `preview`
// ("Azure OpenAI API version lifecycle", https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle).

/** GA inference versions of the deployments form. */
export const AZURE_GA_API_VERSIONS: readonly string[] = ['2022-12-01', '2023-05-15', '2024-02-01', '2024-06-01', '2024-10-21'];

/** Preview inference versions of the deployments form that Azure still serves. */
export const AZURE_PREVIEW_API_VERSIONS: readonly string[] = [
  '2024-02-15-preview',
  '2024-03-01-preview',
  '2024-04-01-preview',
  '2024-05-01-preview',
  '2024-07-01-preview',
  '2024-08-01-preview',
  '2024-09-01-preview',
  '2024-10-01-preview',
  '2024-12-01-preview',
  '2025-01-01-preview',
  '2025-02-01-preview',
  '2025-03-01-preview',
  '2025-04-01-preview',
];

/** `api-version` values the v1 form accepts besides none at all. */
export const AZURE_V1_API_VERSIONS: readonly string[] = ['v1', 'preview'];

/** Whether `version` (null when absent) is accepted on the given URL form. */
export function isSupportedAzureApiVersion(form: 'v1' | 'deployments', version: string | null): boolean {
  if (form === 'v1') return version === null || AZURE_V1_API_VERSIONS.includes(version);
  return version !== null && (AZURE_GA_API_VERSIONS.includes(version) || AZURE_PREVIEW_API_VERSIONS.includes(version));
}
