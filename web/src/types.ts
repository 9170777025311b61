/** The shapes of the REST API's answers the console reads. */

export interface Session {
  user: { id: string; email: string; full_name: string };
  organization_id: string;
  csrf_token: string;
  expires_at: string;
}

export interface Meta {
  self?: string;
  resource_name?: string;
  created_at?: string;
  updated_at?: string;
}

export interface Environment {
  id: string;
  display_name: string;
  metadata: Meta;
}

export interface Cluster {
  id: string;
  api_version: string;
  metadata: Meta;
  spec: {
    display_name: string;
    cloud: string;
    region: string;
    environment: { id: string };
    http_endpoint?: string;
    kafka_bootstrap_endpoint?: string;
    config?: { kind: string };
    package?: string;
    csu?: number;
    availability?: string;
  };
  status: { phase: string; http_endpoint?: string };
}

export interface FlinkRegion {
  id: string;
  display_name: string;
  cloud: string;
  region_name: string;
  http_endpoint: string;
}

export interface ResourceRef {
  id: string;
  environment?: string;
  kind: string;
  api_version: string;
}

export interface ApiKey {
  id: string;
  metadata: Meta;
  spec: {
    secret?: string;
    display_name: string;
    description: string;
    owner: { id: string; kind: string };
    resource: ResourceRef;
    last_used_at?: string | null;
  };
}

export interface ServiceAccount {
  id: string;
  display_name: string;
  description: string;
  metadata: Meta;
}

export interface User {
  id: string;
  email: string;
  full_name: string;
  auth_type?: string;
  metadata: Meta;
}

export interface Invitation {
  id: string;
  email: string;
  status: string;
  expires_at?: string;
  accepted_at?: string;
  user: { id: string };
  creator?: { id: string };
  metadata: Meta;
}

export interface RoleBinding {
  id: string;
  principal: string;
  role_name: string;
  crn_pattern: string;
  metadata: Meta;
}

export interface AuditEvent {
  id: string;
  type: string;
  time: string;
  subject: string;
  data: {
    methodName: string;
    resourceName: string;
    authenticationInfo: { principal?: string; metadata: { mechanism: string; identifier?: string } };
    authorizationInfo?: { granted: boolean; operation?: string; reason?: string };
    requestMetadata: { clientAddress?: string };
    result: { status: string; httpStatus?: number; errorCode?: string; message?: string };
  };
}
