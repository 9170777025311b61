/** The catalogue of Flink regions served by `/fcpm/v2/regions`; a Flink key names one of them. */
export type CloudProvider = 'AWS' | 'GCP' | 'AZURE';

export interface FlinkRegion {
  /** `<cloud>.<region>` in lower case, e.g. `aws.us-east-1`. */
  id: string;
  cloud: CloudProvider;
  regionName: string;
  displayName: string;
}

const catalogue: Array<[CloudProvider, string, string]> = [
  ['AWS', 'us-east-1', 'N. Virginia (us-east-1)'],
  ['AWS', 'us-east-2', 'Ohio (us-east-2)'],
  ['AWS', 'us-west-2', 'Oregon (us-west-2)'],
  ['AWS', 'eu-west-1', 'Ireland (eu-west-1)'],
  ['AWS', 'eu-central-1', 'Frankfurt (eu-central-1)'],
  ['AWS', 'ap-southeast-1', 'Singapore (ap-southeast-1)'],
  ['AWS', 'ap-southeast-2', 'Sydney (ap-southeast-2)'],
  ['AWS', 'ap-south-1', 'Mumbai (ap-south-1)'],
  ['GCP', 'us-central1', 'Iowa (us-central1)'],
  ['GCP', 'us-east1', 'South Carolina (us-east1)'],
  ['GCP', 'us-east4', 'N. Virginia (us-east4)'],
  ['GCP', 'europe-west1', 'Belgium (europe-west1)'],
  ['GCP', 'europe-west3', 'Frankfurt (europe-west3)'],
  ['GCP', 'asia-southeast1', 'Singapore (asia-southeast1)'],
  ['AZURE', 'eastus', 'Virginia (eastus)'],
  ['AZURE', 'eastus2', 'Virginia (eastus2)'],
  ['AZURE', 'westus2', 'Washington (westus2)'],
  ['AZURE', 'westeurope', 'Netherlands (westeurope)'],
  ['AZURE', 'northeurope', 'Ireland (northeurope)'],
  ['AZURE', 'southeastasia', 'Singapore (southeastasia)'],
];

export const flinkRegions: readonly FlinkRegion[] = catalogue.map(([cloud, regionName, displayName]) => ({
  id: `${cloud.toLowerCase()}.${regionName}`,
  cloud,
  regionName,
  displayName,
}));

const byId = new Map(flinkRegions.map((r) => [r.id, r]));

export function findFlinkRegion(id: string): FlinkRegion | undefined {
  return byId.get(id.toLowerCase());
}

export function isCloudProvider(value: string): value is CloudProvider {
  return value === 'AWS' || value === 'GCP' || value === 'AZURE';
}
